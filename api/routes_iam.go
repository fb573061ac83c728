package api

// iamRoutes are the identity (IAM) and enterprise-project (EPS) endpoints.
var iamRoutes = []Route{}
