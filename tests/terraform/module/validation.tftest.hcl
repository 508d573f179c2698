# Inputs FACTS.md says break sign-in, or hand accounts over, are refused at plan time.

mock_provider "aws" {}
mock_provider "archive" {}

variables {
  name = "cogfed-test"
  identity_providers = {
    Google = {
      type      = "Google"
      client_id = "google-client"
    }
  }
  identity_provider_secrets = {
    Google = { client_secret = "g-secret" }
  }
}

run "valid_baseline" {
  command = plan
}

run "social_provider_named_after_another_type" {
  command = plan
  variables {
    identity_providers = {
      google = {
        type      = "Google"
        client_id = "google-client"
      }
    }
    identity_provider_secrets = {
      google = { client_secret = "g-secret" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "oidc_without_issuer" {
  command = plan
  variables {
    identity_providers = {
      LinkedIn = {
        type      = "OIDC"
        client_id = "linkedin-client"
      }
    }
    identity_provider_secrets = {
      LinkedIn = { client_secret = "l-secret" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "always_trusted_without_domains" {
  command = plan
  variables {
    identity_providers = {
      Corporate = {
        type              = "SAML"
        saml_metadata_url = "https://idp.example.com/metadata"
        email_trust       = "always"
      }
    }
    identity_provider_secrets = {}
  }
  expect_failures = [var.identity_providers]
}

run "case_insensitive_saml_without_subject_mapping" {
  command = plan
  variables {
    case_sensitive = false
    identity_providers = {
      Corporate = {
        type              = "SAML"
        saml_metadata_url = "https://idp.example.com/metadata"
      }
    }
    identity_provider_secrets = {}
  }
  expect_failures = [var.identity_providers]
}

run "custom_attribute_named_like_a_standard_one" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { "custom:email" = "email" }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "mapping_into_the_subject_attribute_directly" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { "custom:idp_sub" = "email" }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "social_provider_that_never_sends_email_verified" {
  command = plan
  variables {
    identity_providers = {
      Facebook = {
        type      = "Facebook"
        client_id = "facebook-app"
      }
    }
    identity_provider_secrets = {
      Facebook = { client_secret = "f-secret" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "social_provider_without_email_verified_and_no_linking" {
  command = plan
  variables {
    identity_providers = {
      Facebook = {
        type          = "Facebook"
        client_id     = "facebook-app"
        link_by_email = false
      }
    }
    identity_provider_secrets = {
      Facebook = { client_secret = "f-secret" }
    }
  }
}

run "custom_attribute_not_declared" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { "custom:tenant" = "hd" }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "custom_attribute_declared" {
  command = plan
  variables {
    custom_attributes = ["tenant"]
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { "custom:tenant" = "hd" }
      }
    }
  }
  assert {
    condition     = contains([for s in module.user_pool.user_pool.schema : s.name], "tenant")
    error_message = "A declared custom attribute must be in the schema."
  }
}

run "custom_attribute_named_like_a_standard_one_declared" {
  command = plan
  variables {
    custom_attributes = ["sub"]
  }
  expect_failures = [var.custom_attributes]
}

run "name_too_long_for_the_function_names" {
  command = plan
  variables {
    name = "a-name-that-is-forty-four-characters-long-xy"
  }
  expect_failures = [var.name]
}

run "longest_name_allowed" {
  command = plan
  variables {
    name = "a-name-that-is-forty-three-characters-long-"
  }
  assert {
    condition     = alltrue([for f in module.triggers.function_resources : length(f.function_name) <= 64])
    error_message = "Function names must fit Lambda's 64 characters."
  }
}

run "saml_with_two_metadata_sources" {
  command = plan
  variables {
    identity_providers = {
      Corporate = {
        type                   = "SAML"
        saml_metadata_url      = "https://idp.example.com/metadata"
        saml_metadata_document = "<EntityDescriptor/>"
      }
    }
    identity_provider_secrets = {}
  }
  expect_failures = [var.identity_providers]
}

run "email_domain_with_at_sign" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type          = "Google"
        client_id     = "google-client"
        email_domains = ["@example.com"]
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "secret_missing" {
  command = plan
  variables {
    identity_provider_secrets = {}
  }
  expect_failures = [var.identity_provider_secrets]
}

run "secret_for_unknown_provider" {
  command = plan
  variables {
    identity_provider_secrets = {
      Google   = { client_secret = "g-secret" }
      Facebook = { client_secret = "f-secret" }
    }
  }
  expect_failures = [var.identity_provider_secrets]
}

run "v2_trigger_on_lite_tier" {
  command = plan
  variables {
    user_pool_tier               = "LITE"
    pre_token_generation_version = "V2_0"
  }
  expect_failures = [var.pre_token_generation_version]
}

run "v2_trigger_on_essentials_tier" {
  command = plan
  variables {
    pre_token_generation_version = "V2_0"
  }
  assert {
    condition     = module.user_pool.user_pool.lambda_config[0].pre_token_generation_config[0].lambda_version == "V2_0"
    error_message = "V2_0 must be wired when chosen."
  }
}

run "client_lists_unknown_provider" {
  command = plan
  variables {
    app_clients = {
      web = {
        callback_urls      = ["https://app.example.com/callback"]
        identity_providers = ["COGNITO", "Okta"]
      }
    }
  }
  expect_failures = [var.app_clients]
}

run "client_callback_over_plain_http" {
  command = plan
  variables {
    app_clients = {
      web = {
        callback_urls = ["http://app.example.com/callback"]
      }
    }
  }
  expect_failures = [var.app_clients]
}

run "client_callback_on_localhost_and_app_scheme" {
  command = plan
  variables {
    app_clients = {
      web = {
        callback_urls = ["http://localhost:3000/callback", "myapp://callback"]
      }
    }
  }
}

run "client_writes_email_verified" {
  command = plan
  variables {
    app_clients = {
      web = {
        callback_urls    = ["https://app.example.com/callback"]
        write_attributes = ["email_verified"]
      }
    }
  }
  expect_failures = [var.app_clients]
}

run "domain_with_prefix_and_custom_domain" {
  command = plan
  variables {
    domain = {
      prefix          = "cogfed"
      custom_domain   = "auth.example.com"
      certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    }
  }
  expect_failures = [var.domain]
}

run "provider_name_that_extends_another" {
  command = plan
  variables {
    identity_providers = {
      Okta = {
        type              = "SAML"
        saml_metadata_url = "https://okta.example.com/metadata"
        email_trust       = "always"
        email_domains     = ["corp.example"]
        attribute_mapping = { email = "email" }
      }
      Okta_Partner = {
        type              = "SAML"
        saml_metadata_url = "https://partner.example.com/metadata"
        link_by_email     = false
        attribute_mapping = { email = "email" }
      }
    }
    identity_provider_secrets = {}
  }
  expect_failures = [var.identity_providers]
}

run "email_domain_with_a_look_alike_letter" {
  # U+017F folds with "s" in a case-insensitive pattern. (HCL turns a Kelvin sign into "K"
  # on its own: string literals are normalised to NFC.)
  command = plan
  variables {
    identity_providers = {
      Corporate = {
        type              = "SAML"
        saml_metadata_url = "https://idp.example.com/metadata"
        email_trust       = "always"
        email_domains     = ["\u017fhop.example"]
        attribute_mapping = { email = "email" }
      }
    }
    identity_provider_secrets = {}
  }
  expect_failures = [var.identity_providers]
}

run "provider_name_beyond_ascii" {
  # "İ" lower-cases to two characters, which would shift the subject in a userName.
  command = plan
  variables {
    identity_providers = {
      "İstanbulSSO" = {
        type              = "SAML"
        saml_metadata_url = "https://idp.example.com/metadata"
        email_trust       = "always"
        email_domains     = ["corp.example"]
        attribute_mapping = { email = "email" }
      }
    }
    identity_provider_secrets = {}
  }
  expect_failures = [var.identity_providers]
}

# Trust by evidence (FACTS.md §8, §20): each type links by email only under the
# email_trust modes it can back (cognito_facts.json email_trust_modes).

run "facebook_linked_by_email_under_always" {
  # Allowed before: "always" with domains passed the old email_verified check.
  command = plan
  variables {
    identity_providers = {
      Facebook = {
        type          = "Facebook"
        client_id     = "facebook-app"
        email_trust   = "always"
        email_domains = ["example.com"]
      }
    }
    identity_provider_secrets = {
      Facebook = { client_secret = "f-secret" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "login_with_amazon_without_linking" {
  command = plan
  variables {
    identity_providers = {
      LoginWithAmazon = {
        type          = "LoginWithAmazon"
        client_id     = "amzn1.application-oa2-client.x"
        link_by_email = false
      }
    }
    identity_provider_secrets = {
      LoginWithAmazon = { client_secret = "a-secret" }
    }
  }
}

run "google_trusted_always" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type          = "Google"
        client_id     = "google-client"
        email_trust   = "always"
        email_domains = ["example.com"]
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "saml_trusted_by_a_mapped_verified_claim" {
  # Allowed before: a mapped email_verified passed the old check; a directory's own
  # "verified" attribute is whatever its administrator sends.
  command = plan
  variables {
    identity_providers = {
      Corporate = {
        type              = "SAML"
        saml_metadata_url = "https://idp.example.com/metadata"
        attribute_mapping = { email_verified = "emailVerified" }
      }
    }
    identity_provider_secrets = {}
  }
  expect_failures = [var.identity_providers]
}

run "saml_trusted_always_with_domains" {
  command = plan
  variables {
    identity_providers = {
      Corporate = {
        type              = "SAML"
        saml_metadata_url = "https://idp.example.com/metadata"
        email_trust       = "always"
        email_domains     = ["example.com"]
      }
    }
    identity_provider_secrets = {}
  }
}

run "oidc_directory_trusted_always_with_domains" {
  command = plan
  variables {
    identity_providers = {
      Okta = {
        type          = "OIDC"
        client_id     = "okta-client"
        oidc_issuer   = "https://corp.okta.com"
        email_trust   = "always"
        email_domains = ["example.com"]
      }
    }
    identity_provider_secrets = {
      Okta = { client_secret = "o-secret" }
    }
  }
}

# A mapping names the IdP's claim (FACTS.md §4).

run "mapping_to_an_empty_claim" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { email_verified = "" }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "mapping_to_a_null_claim" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { given_name = null }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "mapping_to_a_claim_with_surrounding_space" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { email = "email " }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "mapping_to_a_claim_with_a_control_character" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { locale = "lo\u007fcale" }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "mapping_to_a_claim_with_a_zero_width_space" {
  # Unicode format characters (Cf) are invisible in a plan but make the value another claim.
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { email_verified = "email\u200b_verified" }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "mapping_to_a_claim_after_a_byte_order_mark" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { email = "\ufeffemail" }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "mapping_to_a_claim_with_a_private_use_character" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { locale = "locale\ue000" }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "mapping_to_a_claim_beyond_ascii" {
  # Letters beyond ASCII are claim names like any other; only format characters are refused.
  command = plan
  variables {
    identity_providers = {
      Corporate = {
        type              = "SAML"
        saml_metadata_url = "https://idp.example.com/metadata"
        email_trust       = "always"
        email_domains     = ["example.com"]
        attribute_mapping = { email = "Adresse électronique" }
      }
    }
    identity_provider_secrets = {}
  }
  assert {
    condition     = output.attribute_mappings["Corporate"]["email"] == "Adresse électronique"
    error_message = "A claim name beyond ASCII must be mapped as given."
  }
}

run "mapping_to_a_claim_with_an_inner_space" {
  # SAML attribute names may hold spaces; only surrounding ones are refused.
  command = plan
  variables {
    identity_providers = {
      Corporate = {
        type              = "SAML"
        saml_metadata_url = "https://idp.example.com/metadata"
        email_trust       = "always"
        email_domains     = ["example.com"]
        attribute_mapping = { email = "E-mail Address" }
      }
    }
    identity_provider_secrets = {}
  }
}

run "email_verified_mapped_from_a_literal_true" {
  command = plan
  variables {
    identity_providers = {
      Okta = {
        type              = "OIDC"
        client_id         = "okta-client"
        oidc_issuer       = "https://corp.okta.com"
        attribute_mapping = { email_verified = "True" }
      }
    }
    identity_provider_secrets = {
      Okta = { client_secret = "o-secret" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "email_verified_mapped_from_another_claim" {
  command = plan
  variables {
    identity_providers = {
      Okta = {
        type              = "OIDC"
        client_id         = "okta-client"
        oidc_issuer       = "https://corp.okta.com"
        attribute_mapping = { email_verified = "verified_email" }
      }
    }
    identity_provider_secrets = {
      Okta = { client_secret = "o-secret" }
    }
  }
  assert {
    condition     = output.attribute_mappings["Okta"]["email_verified"] == "verified_email"
    error_message = "The caller's email_verified mapping overrides the default."
  }
}

# Google's hosted domain (FACTS.md §20) is the module's own attribute.

run "hosted_domain_declared_by_the_caller" {
  command = plan
  variables {
    custom_attributes = ["google_hd"]
  }
  expect_failures = [var.custom_attributes]
}

run "hosted_domain_mapped_from_another_claim" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { "custom:google_hd" = "email" }
      }
    }
  }
  expect_failures = [var.identity_providers]
}

run "hosted_domain_mapped_by_another_type" {
  command = plan
  variables {
    identity_providers = {
      Okta = {
        type              = "OIDC"
        client_id         = "okta-client"
        oidc_issuer       = "https://corp.okta.com"
        attribute_mapping = { "custom:google_hd" = "hd" }
      }
    }
    identity_provider_secrets = {
      Okta = { client_secret = "o-secret" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "hosted_domain_mapped_by_google_as_oidc" {
  # Google set up as an OIDC provider (FACTS.md §20, oidc_issuer_social_type) may restate
  # the mapping the module gives it.
  command = plan
  variables {
    identity_providers = {
      GoogleOidc = {
        type              = "OIDC"
        client_id         = "google-oidc-client"
        oidc_issuer       = "https://accounts.google.com"
        attribute_mapping = { "custom:google_hd" = "hd" }
      }
      GoogleByDetails = {
        type              = "OIDC"
        client_id         = "google-details-client"
        oidc_issuer       = "https://www.example.com/placeholder"
        provider_details  = { oidc_issuer = "https://accounts.google.com" }
        attribute_mapping = { "custom:google_hd" = "hd" }
      }
    }
    identity_provider_secrets = {
      GoogleOidc      = { client_secret = "go-secret" }
      GoogleByDetails = { client_secret = "gd-secret" }
    }
  }
  assert {
    condition     = output.attribute_mappings["GoogleOidc"]["custom:google_hd"] == "hd" && output.attribute_mappings["GoogleByDetails"]["custom:google_hd"] == "hd"
    error_message = "An OIDC provider on Google's issuer may map hd into custom:google_hd."
  }
}

run "hosted_domain_mapped_from_another_claim_by_google_as_oidc" {
  command = plan
  variables {
    identity_providers = {
      GoogleOidc = {
        type              = "OIDC"
        client_id         = "google-oidc-client"
        oidc_issuer       = "https://accounts.google.com"
        attribute_mapping = { "custom:google_hd" = "email" }
      }
    }
    identity_provider_secrets = {
      GoogleOidc = { client_secret = "go-secret" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "hosted_domain_mapped_by_oidc_given_another_issuer" {
  # provider_details' oidc_issuer is the issuer Cognito gets: it is not Google's.
  command = plan
  variables {
    identity_providers = {
      Okta = {
        type              = "OIDC"
        client_id         = "okta-client"
        oidc_issuer       = "https://accounts.google.com"
        provider_details  = { oidc_issuer = "https://corp.okta.com" }
        attribute_mapping = { "custom:google_hd" = "hd" }
      }
    }
    identity_provider_secrets = {
      Okta = { client_secret = "o-secret" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "social_name_given_to_another_type" {
  # Cognito's Google provider is the one named Google (FACTS.md §1).
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "SAML"
        saml_metadata_url = "https://idp.example.com/metadata"
        email_trust       = "always"
        email_domains     = ["example.com"]
      }
    }
    identity_provider_secrets = {}
  }
  expect_failures = [var.identity_providers]
}

run "hosted_domain_mapped_as_the_module_does" {
  command = plan
  variables {
    identity_providers = {
      Google = {
        type              = "Google"
        client_id         = "google-client"
        attribute_mapping = { "custom:google_hd" = "hd" }
      }
    }
  }
  assert {
    condition     = output.attribute_mappings["Google"]["custom:google_hd"] == "hd"
    error_message = "Restating the default mapping is allowed."
  }
}
