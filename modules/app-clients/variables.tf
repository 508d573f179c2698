variable "user_pool_id" {
  description = "ID of the user pool."
  type        = string
}

variable "app_clients" {
  description = "App clients keyed by name, with their final identity provider and attribute lists."
  type = map(object({
    callback_urls                 = list(string)
    logout_urls                   = list(string)
    supported_identity_providers  = list(string)
    allowed_oauth_flows           = list(string)
    allowed_oauth_scopes          = list(string)
    explicit_auth_flows           = list(string)
    generate_secret               = bool
    read_attributes               = optional(list(string))
    write_attributes              = list(string)
    access_token_validity_minutes = number
    id_token_validity_minutes     = number
    refresh_token_validity_days   = number
  }))
}
