variable "user_pool_id" {
  description = "ID of the user pool the providers belong to."
  type        = string
}

variable "subject_mappings" {
  description = "Per provider type, the mapping that copies the exact-case subject into a custom attribute (empty where none is needed), merged between the type's defaults and the provider's own attribute_mapping."
  type        = map(map(string))
}

variable "identity_providers" {
  description = "Providers keyed by ProviderName (the root module's identity_providers; other attributes are ignored here)."
  type = map(object({
    type              = string
    attribute_mapping = optional(map(string), {})
    idp_identifiers   = optional(list(string), [])
  }))
}

variable "provider_details" {
  description = "Non-secret provider_details keyed by ProviderName; an oidc_issuer among them also chooses the claim email_verified is mapped from and, for an OIDC provider on a social provider's issuer (Google), that type's hosted-domain mapping."
  type        = map(map(string))
}

variable "secrets" {
  description = "Secret provider_details (client_secret, private_key) keyed by ProviderName."
  type        = map(map(string))
  default     = {}
  sensitive   = true
}
