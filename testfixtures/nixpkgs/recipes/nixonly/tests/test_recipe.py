import nixonly


def test_value():
    assert nixonly.VALUE == "from nixpkgs"
