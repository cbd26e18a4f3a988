export default function Page() {
  return <p>formhook Next.js consumer</p>;
}
