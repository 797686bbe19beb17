from advisor.outputs.cli import main

main()
