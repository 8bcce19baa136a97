// Placeholder entry point; subcommands are added in cli/cmd_*.cpp.
int main() { return 0; }
