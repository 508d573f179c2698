output "provider_names" {
  description = "ProviderNames as created; reference these so app clients are created after the providers they list."
  value       = { for key, idp in aws_cognito_identity_provider.this : key => idp.provider_name }
}

output "attribute_mappings" {
  description = "Attribute mapping per provider: the type's defaults (email_verified from the claim the issuer uses, the hosted-domain claim), the subject copy in a case-insensitive pool, then the caller's entries."
  value       = local.attribute_mappings
}

output "identity_providers" {
  description = "The identity provider resources keyed by ProviderName (sensitive: provider_details holds secrets)."
  value       = aws_cognito_identity_provider.this
  sensitive   = true
}

output "reviewable_settings" {
  description = "Non-secret settings of each provider, with secret fingerprints: what plans show reviewers."
  value       = { for key, record in terraform_data.reviewable_settings : key => record.input }
}
