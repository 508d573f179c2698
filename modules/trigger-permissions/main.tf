locals {
  arn_parts  = split(":", var.user_pool_arn)
  partition  = local.arn_parts[1]
  region     = local.arn_parts[3]
  account_id = local.arn_parts[4]

  profile_table_arn = var.profile_table_name == null ? null : "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${var.profile_table_name}"
}

# Separate from the functions so the pool can be created between them: the functions
# first (the pool's lambda_config names them), then the pool, then these, which name
# the pool. One module doing both would form a cycle at module level.
resource "aws_iam_role_policy" "this" {
  for_each = var.functions

  name = each.value.function_name
  role = each.value.role_name
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
          Resource = "${each.value.log_group_arn}:*"
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
  for_each = var.functions

  statement_id   = "AllowCognitoInvoke"
  action         = "lambda:InvokeFunction"
  function_name  = each.value.function_name
  principal      = "cognito-idp.amazonaws.com"
  source_arn     = var.user_pool_arn
  source_account = local.account_id
}

