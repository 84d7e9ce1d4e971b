from datacert.cli import main

main()
