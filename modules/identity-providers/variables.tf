variable "user_pool_id" {
  description = "ID of the user pool the providers belong to."
  type        = string
}

variable "identity_providers" {
  description = "Providers keyed by ProviderName: type, non-secret provider_details, attribute_mapping, idp_identifiers."
  type = map(object({
    type              = string
    provider_details  = map(string)
    attribute_mapping = map(string)
    idp_identifiers   = optional(list(string), [])
  }))
}

variable "secrets" {
  description = "Secret provider_details (client_secret, private_key) keyed by ProviderName."
  type        = map(map(string))
  default     = {}
  sensitive   = true
}
