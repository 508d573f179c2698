locals {
  # The one table of Cognito facts: which types send email_verified, each type's subject
  # claim, hosted-domain claim, the issuers that name email_verified otherwise and the OIDC
  # issuers that are a social provider's.
  facts = jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json"))

  # Default attribute mappings per type: the type's claim names. To these, `email_verified`
  # where the IdP sends it (mapping `email` without it resets the stored flag on every
  # sign-in, FACTS.md §4), `username`, the subject claim Cognito derives the federated
  # username from, and the type's hosted-domain claim (also for Google set up as OIDC).
  default_mappings = {
    Google = {
      email       = "email"
      given_name  = "given_name"
      family_name = "family_name"
      name        = "name"
    }
    Facebook = {
      email       = "email"
      given_name  = "first_name"
      family_name = "last_name"
      name        = "name"
    }
    LoginWithAmazon = {
      email = "email"
      name  = "name"
    }
    SignInWithApple = {
      email       = "email"
      given_name  = "firstName"
      family_name = "lastName"
    }
    OIDC = {
      email       = "email"
      given_name  = "given_name"
      family_name = "family_name"
      name        = "name"
    }
    SAML = {
      email       = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
      given_name  = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
      family_name = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
    }
  }

  # The claim email_verified is mapped from: "email_verified", unless the provider's issuer
  # names another (Microsoft Entra ID sends none; its xms_edov says the domain owner verified
  # the email, FACTS.md §20). The issuer is the one Cognito is given, provider_details
  # included.
  email_verified_claims = {
    for name, idp in var.identity_providers : name => concat([
      for prefix, claim in local.facts.email_verified_claim_by_issuer : claim
      if startswith(lower(lookup(var.provider_details[name], "oidc_issuer", "")), prefix)
    ], ["email_verified"])[0]
  }

  # A type's hosted-domain claim (Google's hd, present only for a Workspace account) into the
  # attribute the pre sign-up trigger reads it from (FACTS.md §20); the root module declares
  # that attribute in the schema.
  hosted_domain_mappings = {
    for type, fact in local.facts.provider_types : type =>
    fact.hosted_domain == null ? {} : { (fact.hosted_domain.attribute) = fact.hosted_domain.claim }
  }

  # The type whose hosted-domain mapping a provider gets: its own, or for an OIDC provider
  # whose issuer is a social provider's (Google set up as OIDC sends the same ID token, hd
  # included, FACTS.md §20), that social type. The issuer is the one Cognito is given,
  # compared as for email_verified above.
  hosted_domain_types = {
    for name, idp in var.identity_providers : name => concat([
      for prefix, type in local.facts.oidc_issuer_social_type : type
      if idp.type == "OIDC" && startswith(lower(lookup(var.provider_details[name], "oidc_issuer", "")), prefix)
    ], [idp.type])[0]
  }

  attribute_mappings = {
    for name, idp in var.identity_providers :
    name => merge(
      local.default_mappings[idp.type],
      {
        for key, claim in {
          email_verified = local.facts.provider_types[idp.type].sends_email_verified ? local.email_verified_claims[name] : null
          username       = local.facts.provider_types[idp.type].subject_claim
        } : key => claim if claim != null
      },
      local.hosted_domain_mappings[local.hosted_domain_types[name]],
      var.subject_mappings[idp.type],
      idp.attribute_mapping,
    )
  }
}

# One resource per ProviderName: a stable key, so adding or removing a provider never
# re-creates the others (as a list index would).
resource "aws_cognito_identity_provider" "this" {
  for_each = var.identity_providers

  user_pool_id    = var.user_pool_id
  provider_name   = each.key
  provider_type   = each.value.type
  idp_identifiers = length(each.value.idp_identifiers) > 0 ? each.value.idp_identifiers : null

  attribute_mapping = local.attribute_mappings[each.key]

  # The secret is merged in here, so a changed secret updates the provider in place
  # on the next apply: there is deliberately no ignore_changes on provider_details.
  provider_details = merge(var.provider_details[each.key], lookup(var.secrets, each.key, {}))
}

# The secret makes Terraform hide all of provider_details in plans. This record of
# the non-secret settings, with a short fingerprint of each secret, shows reviewers
# what a change does (a new scope, a new metadata URL, a rotated secret) without
# revealing the secret. It creates nothing in AWS.
resource "terraform_data" "reviewable_settings" {
  for_each = var.identity_providers

  input = {
    provider_type     = each.value.type
    provider_details  = var.provider_details[each.key]
    attribute_mapping = local.attribute_mappings[each.key]
    idp_identifiers   = each.value.idp_identifiers
    # 12 hex digits of SHA-256: enough to see a rotation, useless for recovering a
    # high-entropy client secret (which the state holds in full anyway).
    secret_fingerprints = {
      for key, value in nonsensitive(lookup(var.secrets, each.key, {})) :
      key => nonsensitive(substr(sha256(value), 0, 12))
    }
  }
}
