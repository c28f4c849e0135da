module github.com/bitnet-go/bitnet/deploy

go 1.26.7
