# modules/triggers refuses settings that break sign-in or trust, and a pool ARN that is
# not one.

mock_provider "aws" {}
mock_provider "archive" {}

variables {
  name           = "team-app"
  user_pool_arn  = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_TeamPool1"
  case_sensitive = true
  identity_providers = {
    Google = { type = "Google" }
  }
}

run "valid_baseline" {
  command = plan
}

run "always_trusted_without_domains" {
  command = plan
  variables {
    identity_providers = {
      Okta = { type = "OIDC", email_trust = "always" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "timeout_at_cognitos_limit" {
  command = plan
  variables {
    timeout_seconds = 5
  }
  expect_failures = [var.timeout_seconds]
}

run "unsupported_runtime" {
  command = plan
  variables {
    runtime = "python3.9"
  }
  expect_failures = [var.runtime]
}

run "existing_profile_table_without_name" {
  command = plan
  variables {
    profile_table = { create = false }
  }
  expect_failures = [var.profile_table]
}

run "log_retention_cloudwatch_does_not_offer" {
  command = plan
  variables {
    log_retention_days = 42
  }
  expect_failures = [var.log_retention_days]
}

run "overlapping_provider_names" {
  command = plan
  variables {
    identity_providers = {
      Okta         = { type = "SAML", email_trust = "always", email_domains = ["example.com"] }
      okta_partner = { type = "SAML", link_by_email = false }
    }
  }
  expect_failures = [var.identity_providers]
}

run "email_domain_with_a_look_alike_letter" {
  # U+017F folds with "s" in a case-insensitive pattern. (HCL turns a Kelvin sign into "K"
  # on its own: string literals are normalised to NFC.)
  command = plan
  variables {
    identity_providers = {
      Okta = { type = "OIDC", email_trust = "always", email_domains = ["\u017fhop.example"] }
    }
  }
  expect_failures = [var.identity_providers]
}

run "provider_name_beyond_ascii" {
  # "İ" lower-cases to two characters, which would shift the subject in a userName.
  command = plan
  variables {
    identity_providers = {
      "İstanbulSSO" = { type = "SAML", email_trust = "always", email_domains = ["example.com"] }
    }
  }
  expect_failures = [var.identity_providers]
}

run "not_a_pool_arn" {
  command = plan
  variables {
    user_pool_arn = "eu-west-1_TeamPool1"
  }
  expect_failures = [var.user_pool_arn]
}

run "facebook_linked_by_email" {
  command = plan
  variables {
    identity_providers = {
      Facebook = { type = "Facebook" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "facebook_without_linking" {
  command = plan
  variables {
    identity_providers = {
      Facebook = { type = "Facebook", link_by_email = false }
    }
  }
}

run "saml_trusted_by_verified_claim" {
  command = plan
  variables {
    identity_providers = {
      Corporate = { type = "SAML" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "apple_trusted_always" {
  command = plan
  variables {
    identity_providers = {
      SignInWithApple = { type = "SignInWithApple", email_trust = "always", email_domains = ["example.com"] }
    }
  }
  expect_failures = [var.identity_providers]
}

run "oidc_directory_trusted_always" {
  command = plan
  variables {
    identity_providers = {
      Okta = { type = "OIDC", email_trust = "always", email_domains = ["example.com"] }
    }
  }
}

# Cognito fixes social ProviderNames (FACTS.md §1): each social type under its own name, and
# no other type under one.

run "every_social_type_under_its_name" {
  command = plan
  variables {
    identity_providers = {
      Google          = { type = "Google" }
      Facebook        = { type = "Facebook", link_by_email = false }
      LoginWithAmazon = { type = "LoginWithAmazon", link_by_email = false }
      SignInWithApple = { type = "SignInWithApple" }
    }
  }
}

run "social_type_under_another_name" {
  command = plan
  variables {
    identity_providers = {
      Gmail = { type = "Google" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "social_type_under_another_social_name" {
  command = plan
  variables {
    identity_providers = {
      SignInWithApple = { type = "Google" }
    }
  }
  expect_failures = [var.identity_providers]
}

run "social_name_given_to_a_directory_trusted_always" {
  # The always-trust meant for a directory would be lent to the pool's Google provider.
  command = plan
  variables {
    identity_providers = {
      Google = { type = "SAML", email_trust = "always", email_domains = ["example.com"] }
    }
  }
  expect_failures = [var.identity_providers]
}

run "social_name_in_another_case_given_to_oidc" {
  # The triggers match ProviderNames in a userName ignoring case (FACTS.md §2).
  command = plan
  variables {
    identity_providers = {
      google = { type = "OIDC" }
    }
  }
  expect_failures = [var.identity_providers]
}
