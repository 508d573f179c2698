# Validated where they are used: modules/trigger-functions and modules/trigger-permissions.

variable "name" {
  description = "Prefix of the function, role and log group names."
  type        = string
}

variable "user_pool_arn" {
  description = "ARN of the user pool the triggers serve: the only pool they may call and be invoked by."
  type        = string
}

variable "case_sensitive" {
  description = "The pool's username_configuration.case_sensitive (USERNAME_CASE_SENSITIVE)."
  type        = bool
}

variable "identity_providers" {
  description = "Linking settings per identity provider, keyed by ProviderName exactly as created in the pool: type, link_by_email, email_trust (verified_claim | always), email_domains, subject_attribute (e.g. custom:idp_sub in a case-insensitive pool). Passed to the functions as IDENTITY_PROVIDERS."
  type = map(object({
    type              = string
    link_by_email     = optional(bool, true)
    email_trust       = optional(string, "verified_claim")
    email_domains     = optional(list(string))
    subject_attribute = optional(string)
  }))
}

variable "source_dir" {
  description = "Directory of the trigger sources; defaults to this repository's lambda_src/."
  type        = string
  default     = null
}

variable "runtime" {
  description = "Lambda Python runtime. python3.14 needs hashicorp/aws >= 6.20 (docs/provider-minimums.md)."
  type        = string
  default     = "python3.13"
}

variable "architecture" {
  description = "arm64 or x86_64."
  type        = string
  default     = "arm64"
}

variable "memory_size" {
  description = "Memory of each function, in MB."
  type        = number
  default     = 256
}

variable "timeout_seconds" {
  description = "Function timeout in seconds; well under the 5 s Cognito waits for a trigger, which also covers a cold start."
  type        = number
  default     = 3
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "Optional KMS key for the log groups and the functions' environment."
  type        = string
  default     = null
}

variable "tracing_mode" {
  description = "X-Ray tracing: PassThrough or Active."
  type        = string
  default     = "PassThrough"
}

variable "alarm_actions" {
  description = "SNS topic ARNs notified when a trigger errors or is throttled; empty: no alarms."
  type        = list(string)
  default     = []
}

variable "profile_table" {
  description = "Optional profile store: create a table (named <name>-profiles unless name is set), or name an existing one with create = false."
  type = object({
    create = optional(bool, true)
    name   = optional(string)
  })
  default = null
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
