// Our own shim module (not upstream code). Its path lies under the upstream module's path so
// that Go's internal-package rule lets it import
// github.com/terraform-providers/terraform-provider-random/internal/provider, as the shim
// module inside pulumi-random does.
module github.com/terraform-providers/terraform-provider-random/shim

go 1.25.8

require github.com/terraform-providers/terraform-provider-random v0.0.0
