import nixhelper

HELPER = nixhelper.VERSION
