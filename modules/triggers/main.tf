locals {
  source_dir         = coalesce(var.source_dir, "${path.module}/../../lambda_src")
  profile_table_name = var.profile_table == null ? null : coalesce(var.profile_table.name, "${var.name}-profiles")

  # The pool's partition, region and account, for the profile table's ARN and the
  # permissions' source_account.
  arn_parts  = split(":", var.user_pool_arn)
  partition  = local.arn_parts[1]
  region     = local.arn_parts[3]
  account_id = local.arn_parts[4]

  profile_table_arn = local.profile_table_name == null ? null : "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.profile_table_name}"

  # One entry per trigger; every resource below is keyed by these stable names. The
  # actions are exactly the calls each function's code makes (lambda_src/), granted on
  # one pool only.
  functions = {
    pre-signup = {
      handler = "pre_signup.handler"
      cognito_actions = [
        # The pool's provider names: a userName must fit exactly one of them.
        "cognito-idp:ListIdentityProviders",
        "cognito-idp:ListUsers",
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminSetUserPassword",
        "cognito-idp:AdminGetUser",
        "cognito-idp:AdminLinkProviderForUser",
      ]
      # The profile is written once, on the first sign-in, which only pre sign-up sees.
      writes_profile = var.profile_table != null
    }
    pre-token-generation = {
      handler = "pre_token_generation.handler"
      cognito_actions = [
        # Whether the pool holds a user's own email change back until it is verified: only
        # there is email_verified restored (lambda_src/pool_settings.py, FACTS.md §8).
        "cognito-idp:DescribeUserPool",
        "cognito-idp:AdminUpdateUserAttributes",
      ]
      writes_profile = false
    }
  }

  # CONTRACT.md §1: the same identity_providers value the pool was built from;
  # untrusted_sign_in only where it is not the default, so the CONTRACT's keys stay as they were.
  # A local of its own, so that checkov, which cannot evaluate the for expression, still sees
  # the functions' environment carry IDENTITY_PROVIDERS.
  identity_providers_setting = { for name, idp in var.identity_providers : name => {
    for key, value in idp : key => value if key != "untrusted_sign_in" || value != "refuse"
  } }

  environment = merge(
    {
      IDENTITY_PROVIDERS      = jsonencode(local.identity_providers_setting)
      USERNAME_CASE_SENSITIVE = tostring(var.case_sensitive)
    },
    local.profile_table_name == null ? {} : { PROFILE_TABLE_NAME = local.profile_table_name },
  )
}

# A per-deployment secret for the triggers' keyed hashes: the usernames of users they create
# and the fingerprints of emails in their logs can then not be computed, or reversed, by
# someone who knows only an email address (lambda_src/pseudonyms.py). Built in, so no
# further provider is needed.
resource "terraform_data" "linking_secret" {
  input = uuid()

  lifecycle {
    # uuid() returns a new value on every plan: the value drawn at creation is the secret,
    # kept for the life of the functions so generated usernames stay stable.
    ignore_changes = [input]
  }
}

data "archive_file" "triggers" {
  type        = "zip"
  source_dir  = local.source_dir
  output_path = "${path.module}/.build/${var.name}-triggers.zip"
  excludes    = ["__pycache__", "**/__pycache__/**", "**/*.pyc"]
}

resource "aws_iam_role" "this" {
  for_each = local.functions

  name = "${var.name}-${each.key}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.functions

  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_116:Cognito invokes triggers synchronously; a dead-letter queue only receives failed asynchronous invocations.
  #checkov:skip=CKV_AWS_117:The triggers call only the public Cognito API; a VPC would add a NAT path and cold-start time inside Cognito's 5 s limit.
  #checkov:skip=CKV_AWS_115:Reserved concurrency would throttle sign-ins at peak; the account's concurrency limit applies instead.
  #checkov:skip=CKV_AWS_272:The package is built by Terraform from this module's own lambda_src/ at plan time; there is no signing step to verify.
  #checkov:skip=CKV_AWS_173:The environment holds configuration and LINKING_SECRET, which only keeps generated usernames and log fingerprints unguessable to end users; Lambda encrypts it at rest with an AWS managed key; set kms_key_arn to use your own.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is opt-in (triggers.tracing_mode = "Active"); it costs per trace.
  function_name    = "${var.name}-${each.key}"
  role             = aws_iam_role.this[each.key].arn
  handler          = each.value.handler
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout_seconds
  filename         = data.archive_file.triggers.output_path
  source_code_hash = data.archive_file.triggers.output_base64sha256
  kms_key_arn      = var.kms_key_arn

  environment {
    # Keyed hashes of personal data (lambda_src/pseudonyms.py); kept out of the `environment`
    # output, which shows configuration only.
    variables = merge(local.environment, {
      LINKING_SECRET = sensitive(terraform_data.linking_secret.output)
    })
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  # Logs must have somewhere to go from the first invocation on. (The role policy names
  # the pool, so it is attached once the pool exists; Cognito invokes the function only
  # at sign-in, after the apply.)
  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_dynamodb_table" "profiles" {
  count = try(var.profile_table.create, false) ? 1 : 0

  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS owned key by default; pass kms_key_arn to use a customer managed key.
  name                        = local.profile_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "user_id"
  deletion_protection_enabled = true

  attribute {
    name = "user_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = length(var.alarm_actions) == 0 ? {} : {
    for pair in setproduct(keys(local.functions), ["Errors", "Throttles"]) :
    "${pair[0]}-${lower(pair[1])}" => { function = pair[0], metric = pair[1] }
  }

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "Sign-ins fail while the ${each.value.function} trigger reports ${each.value.metric}: see its log group."
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.this[each.value.function].function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

# Each function may call, and be invoked by, the pool named by user_pool_arn only. The
# pool's lambda_config names the functions and these name the pool: Terraform orders the
# functions, then the pool, then these, resource by resource.
resource "aws_iam_role_policy" "this" {
  for_each = local.functions

  name = aws_lambda_function.this[each.key].function_name
  role = aws_iam_role.this[each.key].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "CallThisUserPool"
          Effect   = "Allow"
          Action   = each.value.cognito_actions
          Resource = var.user_pool_arn
        },
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${aws_cloudwatch_log_group.this[each.key].arn}:*"
        },
      ],
      each.value.writes_profile ? [{
        Sid      = "WriteProfileOnce"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem"]
        Resource = local.profile_table_arn
      }] : [],
      # X-Ray's write actions do not support resource-level permissions.
      var.tracing_mode == "Active" ? [{
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = "*"
      }] : [],
    )
  })
}

resource "aws_lambda_permission" "cognito" {
  for_each = local.functions

  statement_id   = "AllowCognitoInvoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this[each.key].function_name
  principal      = "cognito-idp.amazonaws.com"
  source_arn     = var.user_pool_arn
  source_account = local.account_id
}

