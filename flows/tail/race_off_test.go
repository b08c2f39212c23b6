//go:build !race

package tail

const raceBuild = false
