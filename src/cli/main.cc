// shoal: the command line. Placeholder until the subcommands are wired.
#include <cstdio>

int main() {
  std::puts("shoal");
  return 0;
}
