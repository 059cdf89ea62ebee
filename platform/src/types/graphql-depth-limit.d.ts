// graphql-depth-limit ships no types; this is the one function we use.
declare module 'graphql-depth-limit' {
  import type { ValidationContext, ASTVisitor } from 'graphql';
  export default function depthLimit(maxDepth: number): (context: ValidationContext) => ASTVisitor;
}
