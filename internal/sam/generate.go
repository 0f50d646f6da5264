package sam

//go:generate go run ./internal/samdatagen -out samdata.json
