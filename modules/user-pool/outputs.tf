output "id" {
  description = "ID of the user pool."
  value       = aws_cognito_user_pool.this.id
}

output "arn" {
  description = "ARN of the user pool."
  value       = aws_cognito_user_pool.this.arn
}

output "endpoint" {
  description = "Endpoint of the user pool (cognito-idp.<region>.amazonaws.com/<id>)."
  value       = aws_cognito_user_pool.this.endpoint
}

output "domain" {
  description = "The hosted sign-in domain, or null."
  value       = one(aws_cognito_user_pool_domain.this[*].domain)
}

output "cloudfront_distribution" {
  description = "For a custom domain: the CloudFront distribution to point the DNS alias at."
  value       = one(aws_cognito_user_pool_domain.this[*].cloudfront_distribution)
}

output "user_pool" {
  description = "The user pool resource, for callers and tests that inspect its settings."
  value       = aws_cognito_user_pool.this
}
