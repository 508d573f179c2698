# Earlier revisions of this module called modules/trigger-functions and
# modules/trigger-permissions as module.functions and module.permissions; these blocks carry existing state over, so
# upgrading re-creates nothing (above all not linking_secret, which the usernames of users
# the triggers created derive from).
moved {
  from = module.functions.terraform_data.linking_secret
  to   = terraform_data.linking_secret
}

moved {
  from = module.functions.aws_iam_role.this
  to   = aws_iam_role.this
}

moved {
  from = module.functions.aws_cloudwatch_log_group.this
  to   = aws_cloudwatch_log_group.this
}

moved {
  from = module.functions.aws_lambda_function.this
  to   = aws_lambda_function.this
}

moved {
  from = module.functions.aws_dynamodb_table.profiles
  to   = aws_dynamodb_table.profiles
}

moved {
  from = module.functions.aws_cloudwatch_metric_alarm.this
  to   = aws_cloudwatch_metric_alarm.this
}

moved {
  from = module.permissions.aws_iam_role_policy.this
  to   = aws_iam_role_policy.this
}

moved {
  from = module.permissions.aws_lambda_permission.cognito
  to   = aws_lambda_permission.cognito
}
