from gpttasks.cli.app import main

main()
