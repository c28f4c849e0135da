// Command oldtext calls golang.org/x/text/language.ParseAcceptLanguage
// at v0.3.7, which GO-2022-1059 (CVE-2022-32149) affects: the vulnerability
// scan test expects govulncheck to report that vulnerability as called.
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
