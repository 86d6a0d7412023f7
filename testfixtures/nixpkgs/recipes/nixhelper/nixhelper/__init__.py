VERSION = "1.0 from nixpkgs"
