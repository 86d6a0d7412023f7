VALUE = "@value@"
