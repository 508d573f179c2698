# The root module: see README.md.
