#include <iostream>

#include "shoehorn/cli/cli.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return shoehorn::cli::train_main(argc, argv, {std::cin, std::cout, std::cerr});
}
