// Command bulwark scans serverless applications for security problems.
package main

func main() {}
