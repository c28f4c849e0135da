// Command fixedtext calls golang.org/x/text/language.ParseAcceptLanguage
// at v0.3.8, which has the fix for GO-2022-1059: the vulnerability scan
// test expects govulncheck to report nothing here.
package main

import (
	"fmt"
	"os"

	"golang.org/x/text/language"
)

func main() {
	tags, _, err := language.ParseAcceptLanguage(os.Getenv("ACCEPT_LANGUAGE"))
	fmt.Println(tags, err)
}
