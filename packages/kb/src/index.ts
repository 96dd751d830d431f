// @qonnect/kb
