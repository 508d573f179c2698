variable "user_pool_arn" {
  description = "ARN of the user pool the triggers serve: the only pool they may call and be invoked by."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[\\w-]+_[0-9a-zA-Z]+$", var.user_pool_arn))
    error_message = "user_pool_arn must be a user pool ARN: arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>."
  }
}

variable "functions" {
  description = "The trigger functions, keyed by trigger, as modules/trigger-functions outputs them."
  type = map(object({
    function_name   = string
    role_name       = string
    log_group_arn   = string
    cognito_actions = list(string)
    writes_profile  = bool
  }))
}

variable "profile_table_name" {
  description = "Name of the profile table the pre sign-up trigger writes, or null."
  type        = string
  default     = null
}

variable "tracing_mode" {
  description = "X-Ray tracing of the functions: PassThrough or Active (which needs the X-Ray write actions)."
  type        = string
  default     = "PassThrough"
}
