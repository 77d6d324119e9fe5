from coredge.cli import main

main()
