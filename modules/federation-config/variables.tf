variable "case_sensitive" {
  description = "Whether the user pool compares usernames case-sensitively."
  type        = bool
}

variable "subject_attribute_name" {
  description = "Name of the custom schema attribute that carries the exact-case IdP subject in a case-insensitive pool (used as custom:<name>)."
  type        = string
  default     = "idp_sub"
}

variable "identity_providers" {
  description = "Identity providers keyed by ProviderName; see the root module's variable of the same name."
  type = map(object({
    type              = string
    attribute_mapping = optional(map(string), {})
    subject_claim     = optional(string)
    link_by_email     = optional(bool, true)
    email_trust       = optional(string, "verified_claim")
    email_domains     = optional(list(string))
  }))
}
