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

# The secret makes Terraform hide all of provider_details in plans. This record of
# the non-secret settings, with a short fingerprint of each secret, shows reviewers
# what a change does (a new scope, a new metadata URL, a rotated secret) without
# revealing the secret. It creates nothing in AWS.
resource "terraform_data" "reviewable_settings" {
  for_each = var.identity_providers

  input = {
    provider_type     = each.value.type
    provider_details  = each.value.provider_details
    attribute_mapping = each.value.attribute_mapping
    idp_identifiers   = each.value.idp_identifiers
    # 12 hex digits of SHA-256: enough to see a rotation, useless for recovering a
    # high-entropy client secret (which the state holds in full anyway).
    secret_fingerprints = {
      for key, value in nonsensitive(lookup(var.secrets, each.key, {})) :
      key => nonsensitive(substr(sha256(value), 0, 12))
    }
  }
}
