# What the pool, its identity providers, its app clients and its triggers must agree
# on, derived from one `identity_providers` value so they cannot drift apart.

locals {
  # Types whose subjects are digits: lower-casing cannot change them (FACTS.md §3).
  numeric_subject_types = ["Google", "Facebook"]

  # The claim that carries the subject Cognito links by (FACTS.md §1). SAML has none
  # by default: the NameID is not an assertion attribute, so the caller names the
  # attribute their IdP sends with the NameID's exact value (`subject_claim`; the root
  # module refuses a case-insensitive pool without it). A wrong claim fails closed:
  # the trigger links only when the value equals the userName suffix apart from case.
  subject_claims = {
    Google          = "sub"
    Facebook        = "id"
    LoginWithAmazon = "user_id"
    SignInWithApple = "sub"
    OIDC            = "sub"
  }

  # Default attribute mappings per type. `email_verified` only where the IdP sends it:
  # mapping `email` without it resets the stored flag on every sign-in (FACTS.md §4).
  default_mappings = {
    Google = {
      email          = "email"
      email_verified = "email_verified"
      given_name     = "given_name"
      family_name    = "family_name"
      name           = "name"
      username       = "sub"
    }
    Facebook = {
      email       = "email"
      given_name  = "first_name"
      family_name = "last_name"
      name        = "name"
      username    = "id"
    }
    LoginWithAmazon = {
      email    = "email"
      name     = "name"
      username = "user_id"
    }
    SignInWithApple = {
      email          = "email"
      email_verified = "email_verified"
      given_name     = "firstName"
      family_name    = "lastName"
      username       = "sub"
    }
    OIDC = {
      email          = "email"
      email_verified = "email_verified"
      given_name     = "given_name"
      family_name    = "family_name"
      name           = "name"
      username       = "sub"
    }
    SAML = {
      email       = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
      given_name  = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
      family_name = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
    }
  }

  subject_attribute = "custom:${var.subject_attribute_name}"

  # In a case-insensitive pool the trigger sees the subject lower-cased, so it links
  # with the exact-case copy mapped into a custom attribute (FACTS.md §3).
  maps_subject = {
    for name, idp in var.identity_providers :
    name => !var.case_sensitive && !contains(local.numeric_subject_types, idp.type)
  }

  attribute_mappings = {
    for name, idp in var.identity_providers : name => merge(
      local.default_mappings[idp.type],
      local.maps_subject[name] ? {
        (local.subject_attribute) = coalesce(idp.subject_claim, lookup(local.subject_claims, idp.type, null))
      } : {},
      idp.attribute_mapping,
    )
  }

  # Every custom attribute any mapping writes, declared in the schema as a mutable
  # string (FACTS.md §4: mapped attributes must be mutable and declared).
  custom_attributes = toset(flatten([
    for mapping in values(local.attribute_mappings) : [
      for attribute in keys(mapping) : trimprefix(attribute, "custom:")
      if startswith(attribute, "custom:")
    ]
  ]))

  # App clients must be allowed to write every mapped attribute, except the ones the
  # API never accepts in write_attributes (FACTS.md §4).
  never_writable = ["email_verified", "phone_number_verified", "username"]
  client_write_attributes = sort(distinct(flatten([
    for mapping in values(local.attribute_mappings) : [
      for attribute in keys(mapping) : attribute
      if !contains(local.never_writable, attribute)
    ]
  ])))

  # The trigger configuration, in the form CONTRACT.md §1 fixes.
  trigger_identity_providers = {
    for name, idp in var.identity_providers : name => {
      type              = idp.type
      link_by_email     = idp.link_by_email
      email_trust       = idp.email_trust
      email_domains     = idp.email_domains == null ? null : [for d in idp.email_domains : lower(d)]
      subject_attribute = local.maps_subject[name] ? local.subject_attribute : null
    }
  }
}
