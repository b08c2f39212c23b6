// Command api_caller writes airline-ticket prices from the Travelpayouts
// API as CSV lines into new files for the agent to ship.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "api_caller: not implemented yet")
	os.Exit(1)
}
