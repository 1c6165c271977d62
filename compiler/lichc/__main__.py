from lichc.cli import main

main()
