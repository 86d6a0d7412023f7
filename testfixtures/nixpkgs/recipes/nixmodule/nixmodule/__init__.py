VALUE = "nixmodule from nixpkgs"
