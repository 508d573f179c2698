# The confirmed-linking endpoint (lambda_src/confirmed_linking.py), created only when
# confirmed_linking.enabled: an HTTP API whose JWT authorizer accepts access tokens of this
# pool's listed app clients, in front of one function that may call only this pool.

locals {
  confirmed_linking = var.confirmed_linking.enabled ? toset(["confirmed-linking"]) : toset([])
  user_pool_id      = element(split("/", var.user_pool_arn), 1)
  # The pool's token issuer (the iss claim of its tokens).
  user_pool_issuer         = "https://cognito-idp.${local.region}.amazonaws.com/${local.user_pool_id}"
  confirmed_linking_routes = toset(["POST /link", "POST /unlink", "GET /identities"])
  # A browser origin the endpoint's CORS may allow: https with a host name of letters,
  # digits and inner hyphens, or the local machine over http, for development only. Checked
  # by var.confirmed_linking's validation, whichever module calls this one.
  confirmed_linking_origin = "^(https://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|http://(localhost|127\\.0\\.0\\.1))(:[0-9]{1,5})?$"
}

resource "aws_iam_role" "confirmed_linking" {
  for_each = local.confirmed_linking

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

resource "aws_cloudwatch_log_group" "confirmed_linking" {
  for_each = local.confirmed_linking

  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "confirmed_linking_access" {
  for_each = local.confirmed_linking

  name              = "/aws/apigateway/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "confirmed_linking" {
  for_each = local.confirmed_linking

  #checkov:skip=CKV_AWS_116:API Gateway invokes the function synchronously; a dead-letter queue only receives failed asynchronous invocations.
  #checkov:skip=CKV_AWS_117:The function calls only the public Cognito API; a VPC would add a NAT path for nothing.
  #checkov:skip=CKV_AWS_115:The API's stage throttling bounds its concurrency.
  #checkov:skip=CKV_AWS_272:The package is built by Terraform from this module's own lambda_src/ at plan time; there is no signing step to verify.
  #checkov:skip=CKV_AWS_173:The environment holds configuration and LINKING_SECRET (log fingerprints only); Lambda encrypts it at rest with an AWS managed key; set kms_key_arn to use your own.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is opt-in (triggers.tracing_mode = "Active"); it costs per trace.
  function_name = "${var.name}-${each.key}"
  role          = aws_iam_role.confirmed_linking[each.key].arn
  handler       = "confirmed_linking.handler"
  runtime       = var.runtime
  architectures = [var.architecture]
  memory_size   = var.memory_size
  # The delete and the link must both fit once the checks pass (the handler keeps 5 s back
  # for them); an HTTP API waits 30 s for its integration.
  timeout          = 25
  filename         = data.archive_file.triggers.output_path
  source_code_hash = data.archive_file.triggers.output_base64sha256
  kms_key_arn      = var.kms_key_arn

  environment {
    variables = merge(local.environment, {
      USER_POOL_ID                   = local.user_pool_id
      APP_CLIENT_IDS                 = jsonencode(sort(var.confirmed_linking.app_client_ids))
      FEDERATED_USER_MAX_AGE_SECONDS = tostring(var.confirmed_linking.federated_user_max_age_seconds)
      LINKING_SECRET                 = sensitive(terraform_data.linking_secret.output)
    })
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags       = var.tags
  depends_on = [aws_cloudwatch_log_group.confirmed_linking]
}

# Exactly the calls lambda_src/confirmed_linking.py makes, on this pool only. GetUser is
# authorized by the user's access token, not by IAM (API reference, GetUser).
resource "aws_iam_role_policy" "confirmed_linking" {
  for_each = local.confirmed_linking

  name = aws_lambda_function.confirmed_linking[each.key].function_name
  role = aws_iam_role.confirmed_linking[each.key].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid    = "CallThisUserPool"
          Effect = "Allow"
          Action = [
            "cognito-idp:AdminGetUser",
            "cognito-idp:AdminDeleteUser",
            "cognito-idp:AdminLinkProviderForUser",
            "cognito-idp:AdminDisableProviderForUser",
            # Immutable custom attributes, which make a link fail after the delete (FACTS.md §1).
            "cognito-idp:DescribeUserPool",
            # The pool's provider names, as the pre sign-up trigger checks them.
            "cognito-idp:ListIdentityProviders",
          ]
          Resource = var.user_pool_arn
        },
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${aws_cloudwatch_log_group.confirmed_linking[each.key].arn}:*"
        },
      ],
      var.tracing_mode == "Active" ? [{
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = "*"
      }] : [],
    )
  })
}

resource "aws_apigatewayv2_api" "confirmed_linking" {
  for_each = local.confirmed_linking

  name          = "${var.name}-${each.key}"
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins = var.confirmed_linking.allowed_origins
    allow_methods = ["GET", "POST"]
    allow_headers = ["authorization", "content-type"]
    max_age       = 600
  }

  tags = var.tags
}

# API Gateway checks the token's signature, expiry, issuer and client_id (access tokens carry
# no aud, so client_id is matched against the audience: API Gateway developer guide, JWT
# authorizers; FACTS.md §20); the function then has Cognito check both tokens again (GetUser).
resource "aws_apigatewayv2_authorizer" "confirmed_linking" {
  for_each = local.confirmed_linking

  api_id           = aws_apigatewayv2_api.confirmed_linking[each.key].id
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]
  name             = "cognito-access-token"

  jwt_configuration {
    audience = var.confirmed_linking.app_client_ids
    issuer   = local.user_pool_issuer
  }
}

resource "aws_apigatewayv2_integration" "confirmed_linking" {
  for_each = local.confirmed_linking

  api_id                 = aws_apigatewayv2_api.confirmed_linking[each.key].id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.confirmed_linking[each.key].invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 29000
}

resource "aws_apigatewayv2_route" "confirmed_linking" {
  for_each = var.confirmed_linking.enabled ? local.confirmed_linking_routes : toset([])

  api_id             = aws_apigatewayv2_api.confirmed_linking["confirmed-linking"].id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.confirmed_linking["confirmed-linking"].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.confirmed_linking["confirmed-linking"].id
}

resource "aws_apigatewayv2_stage" "confirmed_linking" {
  for_each = local.confirmed_linking

  api_id      = aws_apigatewayv2_api.confirmed_linking[each.key].id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.confirmed_linking.throttling_burst_limit
    throttling_rate_limit  = var.confirmed_linking.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.confirmed_linking_access[each.key].arn
    # No tokens, bodies or query strings: the request line's route and the outcome only.
    format = jsonencode({
      requestId = "$context.requestId"
      routeKey  = "$context.routeKey"
      status    = "$context.status"
      error     = "$context.authorizer.error"
      latency   = "$context.integrationLatency"
    })
  }

  tags = var.tags
}

resource "aws_lambda_permission" "confirmed_linking" {
  for_each = local.confirmed_linking

  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.confirmed_linking[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  # Only this API's routes, whatever the stage.
  source_arn = "${aws_apigatewayv2_api.confirmed_linking[each.key].execution_arn}/*/*"
}
