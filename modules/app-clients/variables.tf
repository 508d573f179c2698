variable "user_pool_id" {
  description = "ID of the user pool."
  type        = string
}

variable "app_clients" {
  description = "App clients keyed by name (the root module's app_clients)."
  type = map(object({
    callback_urls                 = list(string)
    logout_urls                   = optional(list(string), [])
    identity_providers            = optional(list(string))
    allowed_oauth_flows           = optional(list(string), ["code"])
    allowed_oauth_scopes          = optional(list(string), ["openid", "email", "profile"])
    explicit_auth_flows           = optional(list(string), ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    generate_secret               = optional(bool, false)
    read_attributes               = optional(list(string))
    write_attributes              = optional(list(string), [])
    access_token_validity_minutes = optional(number, 60)
    id_token_validity_minutes     = optional(number, 60)
    refresh_token_validity_days   = optional(number, 30)
  }))
}

variable "custom_attributes" {
  description = "Names (without custom:) of the pool's custom attributes; every client may write them."
  type        = list(string)
  default     = []
}

variable "identity_provider_ids" {
  description = "ProviderNames of the pool's identity providers: with COGNITO, what a client without its own list offers. Create the providers first (depends_on)."
  type        = list(string)
  default     = []
}
