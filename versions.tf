terraform {
  # 1.9: input validation conditions refer to other variables (pre token version vs
  # tier, secrets vs providers, app clients vs providers).
  required_version = ">= 1.9.0"

  required_providers {
    # 5.98: the module sets user_pool_tier, and pre_token_generation_config and
    # managed_login_version, which earlier 5.x releases lack.
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.98"
    }
    # 2.4: archive_file `excludes` keeps __pycache__ out of the trigger package.
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
}
