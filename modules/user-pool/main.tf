resource "aws_cognito_user_pool" "this" {
  name                = var.name
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  user_pool_tier      = var.user_pool_tier

  # Email is the sign-in name; the triggers find the native user by it.
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]

  username_configuration {
    # Stated explicitly: the API and console defaults differ (FACTS.md §3).
    case_sensitive = var.case_sensitive
  }

  # A changed email stays unverified until confirmed, and the old one keeps working
  # meanwhile: without this, an attacker could set a victim's email and wait for a
  # federated sign-in to be linked to it (pre-hijack, FACTS.md §8).
  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  # Custom attributes written by identity-provider mappings: mutable, or sign-in
  # fails; 2,048 characters, the most a mapped value can be (FACTS.md §4).
  dynamic "schema" {
    for_each = var.custom_attributes
    content {
      name                     = schema.value
      attribute_data_type      = "String"
      mutable                  = true
      required                 = false
      developer_only_attribute = false

      string_attribute_constraints {
        min_length = 0
        max_length = 2048
      }
    }
  }

  lambda_config {
    pre_sign_up = var.pre_sign_up_lambda_arn

    pre_token_generation_config {
      lambda_arn     = var.pre_token_generation_lambda_arn
      lambda_version = var.pre_token_generation_version
    }
  }

  tags = var.tags
}

resource "aws_cognito_user_pool_domain" "this" {
  count = var.domain == null ? 0 : 1

  user_pool_id          = aws_cognito_user_pool.this.id
  domain                = coalesce(var.domain.prefix, var.domain.custom_domain)
  certificate_arn       = var.domain.custom_domain == null ? null : var.domain.certificate_arn
  managed_login_version = var.domain.managed_login_version
}
