output "provider_names" {
  description = "ProviderNames as created; reference these so app clients are created after the providers they list."
  value       = { for key, idp in aws_cognito_identity_provider.this : key => idp.provider_name }
}
