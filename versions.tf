terraform {
  # 1.9: input validation conditions refer to other variables (pre token version vs
  # tier, secrets vs providers, app clients vs providers).
  required_version = ">= 1.9.0"

  required_providers {
    # 5.95: aws_cognito_user_pool_domain.managed_login_version (also needed:
    # user_pool_tier, 5.83; lambda_config.pre_token_generation_config, 5.41), proved by
    # comparing published provider schemas: docs/provider-minimums.md.
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.95"
    }
    # 2.4: archive_file `excludes` keeps __pycache__ out of the trigger package.
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
}
