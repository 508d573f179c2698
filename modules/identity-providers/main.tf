# One resource per ProviderName: a stable key, so adding or removing a provider never
# re-creates the others (as a list index would).
resource "aws_cognito_identity_provider" "this" {
  for_each = var.identity_providers

  user_pool_id      = var.user_pool_id
  provider_name     = each.key
  provider_type     = each.value.type
  attribute_mapping = each.value.attribute_mapping
  idp_identifiers   = length(each.value.idp_identifiers) > 0 ? each.value.idp_identifiers : null

  # The secret is merged in here, so a changed secret updates the provider in place
  # on the next apply: there is deliberately no ignore_changes on provider_details.
  provider_details = merge(each.value.provider_details, lookup(var.secrets, each.key, {}))
}
