#!/usr/bin/env python
from dangjian.__main__ import main

if __name__ == "__main__":
    main()
