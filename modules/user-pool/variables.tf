variable "name" {
  description = "Name of the user pool."
  type        = string
}

variable "case_sensitive" {
  description = "Whether usernames compare case-sensitively (fixed at creation)."
  type        = bool
}

variable "user_pool_tier" {
  description = "LITE, ESSENTIALS or PLUS."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse deletion of the pool."
  type        = bool
}

variable "custom_attributes" {
  description = "Names (without custom:) of the mutable string attributes the identity providers map."
  type        = set(string)
  default     = []
}

variable "pre_sign_up_lambda_arn" {
  description = "ARN of the pre sign-up trigger function."
  type        = string
}

variable "pre_token_generation_lambda_arn" {
  description = "ARN of the pre token generation trigger function."
  type        = string
}

variable "pre_token_generation_version" {
  description = "V1_0 or V2_0."
  type        = string
}

variable "domain" {
  description = "Optional hosted sign-in domain (see the root module)."
  type = object({
    prefix                = optional(string)
    custom_domain         = optional(string)
    certificate_arn       = optional(string)
    managed_login_version = optional(number, 2)
  })
  default = null
}

variable "tags" {
  description = "Tags for the pool."
  type        = map(string)
  default     = {}
}
