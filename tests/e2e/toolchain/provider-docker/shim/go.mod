// Our own shim module (not upstream code). Its path lies under the upstream module's path so
// that Go's internal-package rule lets it import
// github.com/terraform-providers/terraform-provider-docker/internal/provider, exactly as the
// shim package that pulumi-docker's patch 0001 adds to its upstream checkout.
module github.com/terraform-providers/terraform-provider-docker/shim

go 1.25.8

require github.com/terraform-providers/terraform-provider-docker v0.0.0
