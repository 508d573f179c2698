output "attribute_mappings" {
  description = "Attribute mapping per identity provider (ProviderName => pool attribute => IdP attribute)."
  value       = local.attribute_mappings
}

output "custom_attributes" {
  description = "Names (without the custom: prefix) of the custom attributes the mappings write."
  value       = local.custom_attributes
}

output "client_write_attributes" {
  description = "Attributes every app client must be allowed to write so federated sign-in can update them."
  value       = local.client_write_attributes
}

output "trigger_identity_providers" {
  description = "The linking settings the triggers receive as IDENTITY_PROVIDERS, keyed by ProviderName."
  value       = local.trigger_identity_providers
}

output "subject_attribute" {
  description = "The pool attribute that carries the exact-case subject where one is mapped."
  value       = local.subject_attribute
}
