# modules/triggers on its own, for a team that keeps its own pool.

mock_provider "aws" {
  override_during = plan

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/team-app"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn = "arn:aws:lambda:eu-west-1:123456789012:function:team-app"
    }
  }
}

mock_provider "archive" {}

variables {
  name           = "team-app"
  user_pool_arn  = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_TeamPool1"
  case_sensitive = true
  identity_providers = {
    Google = { type = "Google" }
    Okta   = { type = "OIDC", email_trust = "always", email_domains = ["example.com"] }
  }
}

run "returns_the_function_arns_to_wire" {
  command = plan

  assert {
    condition     = output.pre_signup_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:team-app"
    error_message = "The pre sign-up function ARN is an output."
  }

  assert {
    condition     = output.pre_token_generation_function_arn != null
    error_message = "The pre token generation function ARN is an output."
  }
}

run "each_role_may_call_only_its_actions_on_this_pool" {
  command = plan

  assert {
    condition = alltrue([for policy in values(output.role_policies) :
      one([for st in jsondecode(policy).Statement : st if st.Sid == "CallThisUserPool"]).Resource == var.user_pool_arn
    ])
    error_message = "Cognito actions must be scoped to the pool's ARN."
  }

  assert {
    condition = alltrue([for policy in values(output.role_policies) :
      alltrue([for st in jsondecode(policy).Statement : !contains(flatten([st.Action]), "cognito-idp:*") && st.Resource != "*" || st.Sid == "SendTraces"])
    ])
    error_message = "No wildcard action or resource (X-Ray excepted)."
  }

  assert {
    condition = toset(one([for st in jsondecode(output.role_policies["pre-token-generation"]).Statement : st if st.Sid == "CallThisUserPool"]).Action) == toset([
      "cognito-idp:DescribeUserPool", "cognito-idp:AdminUpdateUserAttributes",
    ])
    error_message = "The pre token trigger may only read the pool's settings (lambda_src/pool_settings.py) and update user attributes."
  }
}

run "invocation_restricted_to_the_pool" {
  command = plan

  assert {
    condition = alltrue([for p in values(output.permissions) :
    p.principal == "cognito-idp.amazonaws.com" && p.source_arn == var.user_pool_arn && p.source_account == "123456789012"])
    error_message = "Only this pool, in this account, may invoke the triggers."
  }
}

run "environment_follows_the_contract" {
  command = plan

  assert {
    condition = jsondecode(output.environment["IDENTITY_PROVIDERS"]) == {
      Google = { type = "Google", link_by_email = true, email_trust = "verified_claim", email_domains = null, subject_attribute = null }
      Okta   = { type = "OIDC", link_by_email = true, email_trust = "always", email_domains = ["example.com"], subject_attribute = null }
    }
    error_message = "IDENTITY_PROVIDERS must carry every key with its default."
  }

  assert {
    condition     = output.environment["USERNAME_CASE_SENSITIVE"] == "true"
    error_message = "USERNAME_CASE_SENSITIVE must be the pool's setting."
  }
}

run "pre_signup_may_read_the_pools_provider_names" {
  command = plan

  assert {
    # lambda_src/pool_providers.py: a userName must fit exactly one provider of the pool.
    condition     = contains(one([for st in jsondecode(output.role_policies["pre-signup"]).Statement : st if st.Sid == "CallThisUserPool"]).Action, "cognito-idp:ListIdentityProviders")
    error_message = "The pre sign-up trigger must be allowed ListIdentityProviders on the pool."
  }
}

run "profile_table_arn_is_in_the_pools_account_and_region" {
  command = plan
  variables {
    profile_table = { create = false, name = "team-app-profiles" }
  }

  assert {
    condition     = one([for st in jsondecode(output.role_policies["pre-signup"]).Statement : st if st.Sid == "WriteProfileOnce"]).Resource == "arn:aws:dynamodb:eu-west-1:123456789012:table/team-app-profiles"
    error_message = "The profile table's ARN must be built from the pool's account and region."
  }
}
