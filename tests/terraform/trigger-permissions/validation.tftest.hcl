# modules/trigger-permissions ties the functions to one pool, named by its ARN.

mock_provider "aws" {}

variables {
  user_pool_arn = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_TeamPool1"
  functions = {
    pre-signup = {
      function_name   = "team-app-pre-signup"
      role_name       = "team-app-pre-signup"
      log_group_arn   = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/team-app-pre-signup"
      cognito_actions = ["cognito-idp:ListUsers"]
      writes_profile  = true
    }
  }
  profile_table_name = "team-app-profiles"
}

run "profile_table_arn_is_in_the_pools_account_and_region" {
  command = plan

  assert {
    condition     = one([for st in jsondecode(output.role_policies["pre-signup"]).Statement : st if st.Sid == "WriteProfileOnce"]).Resource == "arn:aws:dynamodb:eu-west-1:123456789012:table/team-app-profiles"
    error_message = "The profile table's ARN must be built from the pool's account and region."
  }
}

run "not_a_pool_arn" {
  command = plan
  variables {
    user_pool_arn = "eu-west-1_TeamPool1"
  }
  expect_failures = [var.user_pool_arn]
}
